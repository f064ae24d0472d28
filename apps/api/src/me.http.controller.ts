import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, SCOPES, type Principal, type Scope } from '@tasklog/platform/http';

class MeResponse {
  @ApiProperty({ description: "The caller's user id: the owner of the tasks it creates" })
  userId!: string;

  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes!: Scope[];

  @ApiProperty({ enum: ['jwt', 'api-key'], description: 'How the caller authenticated' })
  via!: 'jwt' | 'api-key';

  @ApiProperty({ required: false, description: 'The API key id, or the token id (jti) when present' })
  credentialId?: string;
}

/** Who am I: the identity and scopes the edge established for this request. */
@ApiTags('identity')
@Controller('me')
export class MeHttpController {
  @Get()
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentPrincipal() principal: Principal): MeResponse {
    return {
      userId: principal.userId,
      scopes: [...principal.scopes],
      via: principal.via,
      ...(principal.credentialId ? { credentialId: principal.credentialId } : {}),
    };
  }
}
