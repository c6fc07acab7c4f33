import { IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { DEFAULT_TOPIC_PREFIX, TOPIC_PREFIX_PATTERN } from '@custody/contracts';
import { EnvBoolean, EnvInt, EnvPort, EnvUrl } from './config-decorators';
import type { RateLimitSettings } from './rate-limit';

/** What every app reads from the environment. Required values have no default. */
export class BaseEnv {
  /** Interface to bind: 127.0.0.1 on one machine, 0.0.0.0 in a container. */
  @IsOptional()
  @IsString()
  HTTP_HOST = '127.0.0.1';

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Swagger UI at `/docs` and the OpenAPI document at `/docs-json`; off where the port is public. */
  @EnvBoolean()
  HTTP_DOCS = true;

  /**
   * Serve Prometheus metrics on this separate admin port (on HTTP_HOST) instead of the app's own
   * port, where `/metrics` then answers 404. Unset: `/metrics` on the app's port.
   */
  @IsOptional()
  @EnvPort()
  METRICS_PORT?: number;
}

/** The four Kafka/PostgreSQL services also need the stack and token verification. */
export class ServiceEnv extends BaseEnv {
  /**
   * Each service logs in to PostgreSQL as roles of its own (rights on its own schema only): it
   * takes `<SERVICE_PREFIX>_DATABASE_URL` / `_DATABASE_PLATFORM_URL` over the shared names when
   * they are set (the local stack sets them; a Helm release gives each Deployment its own
   * DATABASE_URL).
   */
  static readonly PER_SERVICE: readonly string[] = ['DATABASE_URL', 'DATABASE_PLATFORM_URL'];

  /** Comma-separated host:port list. */
  @Matches(/^[^\s,]+:\d{1,5}(,[^\s,]+:\d{1,5})*$/, { message: 'must be a comma-separated list of host:port' })
  KAFKA_BROKERS: string;

  @EnvBoolean()
  KAFKA_SSL = false;

  @IsOptional()
  @IsIn(['plain', 'scram-sha-256', 'scram-sha-512'])
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512';

  @IsOptional()
  @IsString()
  KAFKA_SASL_USERNAME?: string;

  @IsOptional()
  @IsString()
  KAFKA_SASL_PASSWORD?: string;

  /**
   * Prefix of this environment's Kafka topics: `<prefix>.messages.inbound.v1`, ... (default
   * `custody`). Environments sharing a broker each have their own, so none reads another's events.
   */
  @IsOptional()
  @Matches(TOPIC_PREFIX_PATTERN, {
    message: "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
  })
  KAFKA_TOPIC_PREFIX = DEFAULT_TOPIC_PREFIX;

  /** Prefix of this deployment's Kafka consumer groups (default: KAFKA_TOPIC_PREFIX). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/)
  KAFKA_GROUP_PREFIX?: string;

  /** Where a consumer group without committed offsets starts: earliest (default) or latest. */
  @IsOptional()
  @IsIn(['earliest', 'latest'])
  KAFKA_NEW_GROUP_START: 'earliest' | 'latest' = 'earliest';

  /**
   * The service's application role's URL (or `<SERVICE>_DATABASE_URL`): it does not own the
   * tables, so row-level security applies, and it has rights on the service's own schema only.
   */
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL: string;

  /**
   * The service's platform role's URL (or `<SERVICE>_DATABASE_PLATFORM_URL`): a second, small pool for cross-tenant work (outbox relays, retention,
   * registries, operator listings). Only this login is admitted to every row; the application
   * role cannot widen its view by any setting.
   */
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_PLATFORM_URL: string;

  @IsString()
  @IsNotEmpty()
  JWT_ISSUER: string;

  @IsString()
  @IsNotEmpty()
  JWT_AUDIENCE: string;

  /**
   * Requests per second per tenant (or per operator/auditor without a tenant) on the
   * authenticated API routes, shared by the replicas; 0 turns the limit off. Over it: 429 with
   * Retry-After. (ingest's send endpoint has its own per-number and per-pair limits besides.)
   */
  @EnvInt(0, 100000)
  RATE_LIMIT_API_PER_SECOND = 100;

  /** Burst of the per-tenant API limit. */
  @EnvInt(1, 1000000)
  RATE_LIMIT_API_BURST = 200;

  /**
   * Token requests per minute per client id (ten times that per source address) at tenant-store's
   * token endpoint, shared by the replicas; 0 turns it off. Slows down guessing client secrets.
   */
  @EnvInt(0, 1000000)
  RATE_LIMIT_TOKEN_PER_MINUTE = 60;
}

/** The API rate limits of a service's configuration. */
export function rateLimitSettings(env: ServiceEnv): RateLimitSettings {
  return {
    apiPerSecond: env.RATE_LIMIT_API_PER_SECOND,
    apiBurst: env.RATE_LIMIT_API_BURST,
    tokenPerMinute: env.RATE_LIMIT_TOKEN_PER_MINUTE,
  };
}

/** Services that verify tokens issued by tenant-store. */
export class RemoteAuthEnv extends ServiceEnv {
  /** Where the issuer (tenant-store) publishes its public keys. */
  @EnvUrl()
  JWKS_URL: string;
}

export function kafkaSettings(env: ServiceEnv, clientId: string) {
  return {
    clientId,
    brokers: env.KAFKA_BROKERS.split(','),
    ssl: env.KAFKA_SSL,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    groupPrefix: env.KAFKA_GROUP_PREFIX ?? env.KAFKA_TOPIC_PREFIX,
    newGroupStart: env.KAFKA_NEW_GROUP_START,
    sasl: env.KAFKA_SASL_MECHANISM
      ? {
          mechanism: env.KAFKA_SASL_MECHANISM,
          username: env.KAFKA_SASL_USERNAME ?? '',
          password: env.KAFKA_SASL_PASSWORD ?? '',
        }
      : undefined,
  };
}
