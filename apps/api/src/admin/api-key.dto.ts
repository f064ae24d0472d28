import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { SCOPES, type Scope } from '@tasklog/platform/http';

const USER_ID = /^[A-Za-z0-9._@:|-]+$/;

export class CreateApiKeyRequest {
  @ApiProperty({ description: 'The user the key acts for (owner of what it creates)', example: 'user-42' })
  @IsString()
  @Length(1, 200)
  @Matches(USER_ID, { message: 'userId may contain letters, digits and . _ @ : | - only' })
  userId!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['tasks:read', 'tasks:write'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional({ description: 'A label for humans', example: 'CI pipeline' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;
}

export class ListApiKeysQuery {
  @ApiPropertyOptional({ description: 'Only the keys of this user' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  userId?: string;
}

export class ApiKeyResponse {
  @ApiProperty({ description: 'Public id (the prefix of the key)', example: '3f9c0a1b2c3d4e5f' })
  id!: string;
  @ApiProperty()
  userId!: string;
  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes!: Scope[];
  @ApiProperty({ type: String, nullable: true })
  name!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt!: string | null;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'The whole key, shown this once: store it now', example: 'tlk_3f9c0a1b2c3d4e5f_…' })
  key!: string;
}

export class ApiKeyListResponse {
  @ApiProperty({ type: [ApiKeyResponse] })
  apiKeys!: ApiKeyResponse[];
}
