// The API's commands module: wired into ApiModule by api.app.ts.
import { Module, type DynamicModule } from '@nestjs/common';
import type { ApiDeps } from '../api.deps.js';

@Module({})
export class CommandsModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    void deps;
    return { module: CommandsModule };
  }
}
