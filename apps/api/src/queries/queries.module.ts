// The API's queries module: wired into ApiModule by api.app.ts.
import { Module, type DynamicModule } from '@nestjs/common';
import type { ApiDeps } from '../api.deps.js';

@Module({})
export class QueriesModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    void deps;
    return { module: QueriesModule };
  }
}
