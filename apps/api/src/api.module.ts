import { Module, type DynamicModule } from '@nestjs/common';
import { HttpEdgeModule, type HttpEdgeOptions } from '@tasklog/platform/http';
import { ApiKeysHttpController } from './admin/api-keys.http.controller.js';
import { MeHttpController } from './me.http.controller.js';

/** The API deployable: the shared edge plus the API's own controllers (the commands and queries modules join here). */
@Module({})
export class ApiModule {
  static forRoot(edge: HttpEdgeOptions, features: DynamicModule[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [HttpEdgeModule.forRoot(edge), ...features],
      controllers: [MeHttpController, ApiKeysHttpController],
    };
  }
}
