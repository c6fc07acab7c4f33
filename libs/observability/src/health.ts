import {
  Controller,
  Get,
  Global,
  Injectable,
  Module,
  NotFoundException,
  Res,
  ServiceUnavailableException,
  SetMetadata,
} from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { metricsRegistry } from './metrics';

export type ReadinessCheck = () => Promise<void>;

let metricsOnMainPort = true;

/** Whether `/metrics` is served on the app's own port (false when METRICS_PORT moves it to an admin port). */
export function serveMetricsOnMainPort(enabled: boolean): void {
  metricsOnMainPort = enabled;
}

/** Apps register what must answer before they are ready (Kafka, PostgreSQL). */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async evaluate(timeoutMs = 3000): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const results: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          results[name] = 'up';
        } catch (error) {
          results[name] = `down: ${error instanceof Error ? error.message : String(error)}`;
        }
      }),
    );
    return { ready: Object.values(results).every((r) => r === 'up'), checks: results };
  }
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('health')
@SetMetadata('custody:public', true)
@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  /** Liveness: the process runs and its event loop answers. */
  @Get('health/live')
  @ApiOperation({ summary: 'Liveness probe' })
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency this service needs (Kafka, PostgreSQL) answers. */
  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness probe: 503 until Kafka and PostgreSQL answer' })
  async ready(): Promise<{ status: string; checks: Record<string, string> }> {
    const result = await this.registry.evaluate();
    if (!result.ready) {
      throw new ServiceUnavailableException({ status: 'not_ready', checks: result.checks });
    }
    return { status: 'ready', checks: result.checks };
  }

  /** Prometheus metrics in the text exposition format (unless they were moved to an admin port). */
  @Get('metrics')
  @ApiExcludeEndpoint()
  async metrics(@Res() res: Response): Promise<void> {
    if (!metricsOnMainPort) {
      throw new NotFoundException('Cannot GET /metrics');
    }
    res.setHeader('Content-Type', metricsRegistry.contentType);
    res.send(await metricsRegistry.metrics());
  }
}

/** Health, readiness and metrics endpoints for every app; other modules register readiness checks. */
@Module({ providers: [HealthRegistry], exports: [HealthRegistry], controllers: [HealthController] })
@Global()
export class ObservabilityModule {}
