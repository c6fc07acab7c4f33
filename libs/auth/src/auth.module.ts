import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { TokenVerifier, VerifierSettings } from './token-verifier';

@Module({})
export class AuthModule {
  /** Installs the global guard; `verifier` may be given when the app builds its own (the issuer). */
  static forRoot(settings: VerifierSettings | { verifier: TokenVerifier }): DynamicModule {
    const verifier = 'verifier' in settings ? settings.verifier : new TokenVerifier(settings);
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: TokenVerifier, useValue: verifier },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenVerifier],
    };
  }
}
