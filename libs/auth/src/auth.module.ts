import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_QUERY_TOKEN, AuthGuard } from './auth.guard';
import { TokenVerifier, VerifierSettings } from './token-verifier';

@Module({})
export class AuthModule {
  /**
   * Installs the global guard; `verifier` may be given when the app builds its own (the issuer).
   * `acceptQueryToken`: also take the token from an `access_token` query parameter when no
   * Authorization header is sent (the Graph API's convention; ingest's Cloud API surface only).
   */
  static forRoot(
    settings: (VerifierSettings | { verifier: TokenVerifier }) & { acceptQueryToken?: boolean },
  ): DynamicModule {
    const verifier = 'verifier' in settings ? settings.verifier : new TokenVerifier(settings);
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: TokenVerifier, useValue: verifier },
        { provide: AUTH_QUERY_TOKEN, useValue: settings.acceptQueryToken === true },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenVerifier],
    };
  }
}
