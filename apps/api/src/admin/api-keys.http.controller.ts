import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyStore, Scopes, problems } from '@tasklog/platform/http';
import { ApiKeyListResponse, CreateApiKeyRequest, CreatedApiKeyResponse, ListApiKeysQuery } from './api-key.dto.js';

/** API keys for users and machines (admin only). The key is answered once, at creation. */
@ApiTags('admin')
@Scopes('admin')
@Controller('admin/api-keys')
export class ApiKeysHttpController {
  constructor(private readonly store: ApiKeyStore) {}

  @Post()
  @Header('cache-control', 'no-store')
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  create(@Body() body: CreateApiKeyRequest): Promise<CreatedApiKeyResponse> {
    return this.store.create(body);
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyListResponse })
  async list(@Query() query: ListApiKeysQuery): Promise<ApiKeyListResponse> {
    return { apiKeys: await this.store.list({ userId: query.userId }) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked (revoking twice is fine)' })
  async revoke(@Param('id') id: string): Promise<void> {
    if (!(await this.store.revoke(id))) throw problems.apiKeyNotFound(id);
  }
}
