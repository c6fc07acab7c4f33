import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { EnvBoolean, EnvInt, EnvPort, EnvSecret, EnvUrl, RemoteAuthEnv } from '@custody/platform';

export class IngestEnv extends RemoteAuthEnv {
  /** Its own database logins: INGEST_DATABASE_URL / INGEST_DATABASE_PLATFORM_URL over the shared names. */
  static readonly SERVICE_PREFIX = 'INGEST';

  @EnvPort()
  INGEST_PORT = 3000;

  /** Shared HMAC secret of the link with the messaging network (signs both directions). */
  @EnvSecret()
  NETWORK_HMAC_SECRET: string;

  /**
   * JSON file of the master keys (as tenant-store's): ingest unwraps the tenants' data keys that
   * tenant-store distributes (wrapped) on the tenants topic, to seal content where it enters and
   * open it for the network and the tenants' webhooks. It never wraps or creates a key.
   */
  @IsString()
  @IsNotEmpty()
  MASTER_KEY_FILE: string;

  /** The messaging network's base URL (the sandbox on one machine). */
  @EnvUrl()
  NETWORK_URL: string;

  /** How long a failing webhook keeps being retried (default 7 days, as the Cloud API). */
  @EnvInt(60, 30 * 86400)
  WEBHOOK_RETRY_HORIZON_SECONDS = 7 * 86400;

  @EnvInt(100, 60000)
  WEBHOOK_TIMEOUT_MS = 5000;

  /**
   * How long the first, direct attempt of a webhook (made by the consumer as soon as the event is
   * stored) may take before it is handed to the retrying worker instead; keeps one slow tenant
   * from holding up the event stream. A tenant whose direct attempt failed is served by the
   * worker for WEBHOOK_DIRECT_PAUSE_MS.
   */
  @EnvInt(100, 60000)
  WEBHOOK_DIRECT_TIMEOUT_MS = 2000;

  @EnvInt(0, 3600000)
  WEBHOOK_DIRECT_PAUSE_MS = 30000;

  /**
   * Sends a process holds at once (received and not yet answered); past that, new sends get 503
   * (Graph code 2) at once instead of queueing (see SendAdmissionService). 512 is twice what the
   * benchmark's 256 closed-loop senders hold at ~1,200 messages/s on two cores.
   */
  @EnvInt(1, 1000000)
  INGEST_MAX_PENDING_SENDS = 512;

  /** Event loop delay (ms, p99 in each of the last two half seconds) past which new sends get 503 at once. */
  @EnvInt(10, 60000)
  INGEST_SHED_EVENT_LOOP_DELAY_MS = 500;

  /**
   * Lets webhook URLs reach loopback (127.0.0.0/8, ::1): local development and tests only, where the
   * tenant's endpoint runs on the same machine. Off by default; the Helm chart refuses it. Private,
   * link-local, metadata and other reserved addresses stay refused either way.
   */
  @EnvBoolean()
  EGRESS_ALLOW_LOOPBACK = false;

  /** First retry delay of a failed webhook; doubles per attempt (with jitter) up to an hour. */
  @EnvInt(10, 3600000)
  WEBHOOK_RETRY_BASE_MS = 1000;

  /** Tenants served at once by the webhook worker; one slow tenant holds one slot only. */
  @EnvInt(1, 256)
  WEBHOOK_CONCURRENCY = 16;

  /**
   * How long a send waits for Kafka to hold the message durably (acks=all) before it answers 503
   * with code 131016 (service unavailable) instead of hanging while the broker is unreachable.
   */
  @EnvInt(100, 60000)
  SEND_TIMEOUT_MS = 10000;

  /** Pair rate limit: burst of messages to one customer, refilled one per interval. */
  @EnvInt(1, 1000)
  PAIR_RATE_BURST = 45;

  @EnvInt(1, 600000)
  PAIR_RATE_INTERVAL_MS = 6000;

  /**
   * How often ingest purges its rows past each tenant's retention (webhook deliveries and
   * attempts, stored send responses); 0 turns the timer off (`POST /v1/retention/purge` still runs it).
   */
  @EnvInt(0, 86400)
  RETENTION_PURGE_INTERVAL_SECONDS = 300;

  /**
   * ingest's public base URL as clients reach it, e.g. `https://graph.custody.example.com`: media
   * download URLs start with it. Unset, they are paths relative to the API. Never taken from a
   * request's Host header.
   */
  @IsOptional()
  @EnvUrl()
  PUBLIC_BASE_URL?: string;

  /** Rows per DELETE of the retention purge. */
  @EnvInt(1, 100000)
  RETENTION_BATCH_SIZE = 1000;
}
