// Projection administration for the admin scope (DESIGN.md §5 "Replay /
// rebuild", ADR 0020–0023): each projection's state, generation, lag and
// rebuild progress; start a rebuild (run in this process's background by the
// same runner as `tasklog projections rebuild`); cancel it. A second rebuild
// of a projection, from this or any other process, is refused with 409.
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Module,
  Param,
  Post,
  Res,
  type DynamicModule,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { TOPICS } from '@tasklog/contracts';
import { CurrentPrincipal, problem, Scopes, type Principal } from '@tasklog/platform/http';
import {
  REBUILDABLE_PROJECTIONS,
  RebuildInterrupted,
  RebuildRefused,
  beginRebuild,
  cancelRebuildOf,
  projectionStatus,
  projectionStatuses,
  sqlPool,
  type ProjectionStatus,
  type RebuildDeps,
} from '@tasklog/platform/postgres';
import type { ApiDeps } from '../api.deps.js';

/** Runs rebuilds in the background of the API process; interrupts them (resumable) at shutdown. */
export class ProjectionRebuilds {
  private readonly running = new Set<Promise<unknown>>();
  private readonly stop = new AbortController();

  constructor(readonly deps: RebuildDeps) {}

  async start(name: string, requestedBy: string): Promise<ProjectionStatus> {
    const started = await beginRebuild(this.deps, name, { requestedBy, signal: this.stop.signal });
    const run = started.run().catch((error: unknown) => {
      if (!(error instanceof RebuildInterrupted))
        this.deps.logger.error({ err: String(error) }, 'background rebuild failed');
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return projectionStatus(this.deps, name);
  }

  async shutdown(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.running);
  }
}

const known = (name: string) => {
  if (!REBUILDABLE_PROJECTIONS.includes(name)) throw problem('PROJECTION.NOT_FOUND', `No projection named ${name}`);
};

@ApiTags('admin')
@Scopes('admin')
@Controller('admin/projections')
export class ProjectionsHttpController {
  constructor(@Inject(ProjectionRebuilds) private readonly rebuilds: ProjectionRebuilds) {}

  @Get()
  @ApiOkResponse({ description: '{ projections: [{ name, state, generation, lagOffsets, progress, rebuild }] }' })
  async list(): Promise<{ projections: ProjectionStatus[] }> {
    return { projections: await projectionStatuses(this.rebuilds.deps) };
  }

  @Get(':name')
  @ApiOkResponse({ description: 'One projection: state, generation, lag, progress, latest rebuild' })
  status(@Param('name') name: string): Promise<ProjectionStatus> {
    known(name);
    return projectionStatus(this.rebuilds.deps, name);
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Rebuild started (or resumed); Location is its status' })
  @ApiConflictResponse({ description: 'A rebuild of this projection is already running' })
  async rebuild(
    @Param('name') name: string,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProjectionStatus> {
    known(name);
    try {
      const status = await this.rebuilds.start(name, principal.userId);
      void reply.header('location', `/api/v1/admin/projections/${encodeURIComponent(name)}`);
      return status;
    } catch (error) {
      if (error instanceof RebuildRefused && error.reason === 'already-running') {
        throw problem('PROJECTION.REBUILD_IN_PROGRESS', error.message, {
          rebuildId: error.running?.rebuildId,
        });
      }
      throw error;
    }
  }

  @Delete(':name/rebuild')
  @ApiOkResponse({
    description: 'The cancelled rebuild; its shadow tables are dropped, the live projection is untouched',
  })
  async cancel(@Param('name') name: string) {
    known(name);
    const cancelled = await cancelRebuildOf(this.rebuilds.deps.pool, name);
    if (!cancelled) throw problem('PROJECTION.NOT_FOUND', `No unfinished rebuild of ${name}`);
    return cancelled;
  }
}

/** The admin projections feature, composed by api.app.ts beside the commands and queries modules. */
@Module({})
export class ProjectionsAdminModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    const create = async () => {
      const rebuilds = new ProjectionRebuilds({
        pool: await sqlPool(deps.orm),
        kafka: deps.kafka,
        topic: deps.config.kafka.topicPrefix + TOPICS.events,
        logger: deps.logger,
        kafkaConfig: deps.config.kafka,
      });
      deps.onShutdown(() => rebuilds.shutdown());
      return rebuilds;
    };
    return {
      module: ProjectionsAdminModule,
      controllers: [ProjectionsHttpController],
      providers: [{ provide: ProjectionRebuilds, useFactory: create }],
    };
  }
}
