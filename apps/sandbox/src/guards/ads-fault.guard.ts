import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AdsFaultService } from '../services/ads-fault.service';

/** Applies the configured fault (down, slow, rate limited) before anything else, as an outage would. */
@Injectable()
export class AdsFaultGuard implements CanActivate {
  constructor(private readonly faults: AdsFaultService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    await this.faults.enter(req.path.endsWith('/events') ? 'events' : 'audiences');
    return true;
  }
}
