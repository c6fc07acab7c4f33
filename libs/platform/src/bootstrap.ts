import { ExceptionFilter, INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  httpRequestDuration,
  initMetrics,
  JsonLogger,
  metricsRegistry,
  runWithContext,
  serveMetricsOnMainPort,
} from '@custody/observability';
import { ApiExceptionFilter } from './errors';
import { formVerify, jsonVerify, refuseNulInUrl } from './input-guard';

export interface AppMeta {
  /** Service name, used in logs, metrics and the OpenAPI title. */
  service: string;
  title: string;
  description: string;
  version?: string;
  /** Overrides the default error filter (ingest answers in the Graph error shape). */
  exceptionFilter?: ExceptionFilter;
  /** Keep the raw request body on `req.rawBody` (needed to verify HMAC signatures). */
  rawBody?: boolean;
  /** Largest JSON or form body accepted (body-parser syntax, e.g. `8mb`); default 100 kB. */
  bodyLimit?: string;
  /** Swagger UI and `/docs-json` (HTTP_DOCS); default on. */
  docs?: boolean;
  /** Serve `/metrics` on this admin port instead of the app's own (METRICS_PORT). */
  metricsPort?: number;
  /**
   * Document the statuses every operation of a kind can answer (400, 401, 403, 429; see
   * documentStandardResponses); default on. Off for the sandbox, which has no rate limits.
   */
  standardResponses?: boolean;
  /** Express middleware of the app's own, run before routing (after the request guards). */
  middleware?: Array<(req: Request, res: Response, next: NextFunction) => void>;
}

const metricsPorts = new WeakMap<INestApplication, number>();

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Creates a Nest app with Custody's cross-cutting behaviour; does not listen. */
export async function createApp(module: unknown, meta: AppMeta): Promise<NestExpressApplication> {
  initMetrics(meta.service);
  const app = await NestFactory.create<NestExpressApplication>(module as never, {
    logger: new JsonLogger(),
    // The raw body is kept by the parsers registered below (with the NUL check), not by Nest's.
    rawBody: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // API answers are not cached by validators: no ETag (Express would hash every body for one).
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(securityHeadersMiddleware);
  app.use(requestContextMiddleware);
  app.use(refuseNulInUrl);
  for (const middleware of meta.middleware ?? []) {
    app.use(middleware);
  }
  // Registered here, before Nest's default parsers, which then are not added again. `verify`
  // refuses NUL characters (input-guard.ts) and keeps the raw body where signatures need it.
  const limit = meta.bodyLimit ?? '100kb';
  const keepRaw = meta.rawBody ?? false;
  app.useBodyParser('json', { limit, verify: jsonVerify(keepRaw) } as never);
  app.useBodyParser('urlencoded', { limit, extended: true, verify: formVerify(keepRaw) } as never);
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(meta.exceptionFilter ?? new ApiExceptionFilter());
  app.enableShutdownHooks();
  if (meta.docs ?? true) {
    const document = buildOpenApi(app, meta);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', customSiteTitle: meta.title });
  }
  serveMetricsOnMainPort(meta.metricsPort === undefined);
  if (meta.metricsPort !== undefined) {
    metricsPorts.set(app, meta.metricsPort);
  }
  return app;
}

export function buildOpenApi(app: INestApplication, meta: AppMeta): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(meta.title)
    .setDescription(meta.description)
    .setVersion(meta.version ?? '0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  return meta.standardResponses === false ? document : documentStandardResponses(document);
}

/**
 * Statuses every operation of a kind can answer, whether or not its controller names them: 400
 * (validation) where it takes input, 404 where a path names an object, 401 and 403 where it needs a token, 429 (RateLimitInterceptor,
 * with Retry-After) where it needs a token. Each in the app's error shape; the controllers'
 * own descriptions, where given, are kept.
 */
function documentStandardResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of [item.get, item.put, item.post, item.delete, item.patch]) {
      if (!operation) {
        continue;
      }
      const secured = (operation.security?.length ?? 0) > 0;
      const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
      const add = (status: string, description: string, extra: object = {}) => {
        operation.responses[status] ??= { description, ...extra };
      };
      if (takesInput) {
        add('400', "Invalid input (the API's error shape)");
      }
      if (path.includes('{')) {
        add('404', "Not found, or not the caller's (the API's error shape)");
      }
      if (secured) {
        add('401', 'Missing, expired or invalid access token');
        add('403', 'The token does not carry a role this operation needs');
        add('429', "Too many requests for this tenant (the API's error shape); retry after Retry-After seconds", {
          headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
        });
      }
    }
  }
  return document;
}

/**
 * Connections the kernel completes and holds before the app accepts them (capped by the kernel's
 * `net.core.somaxconn`, 4096 on current Linux). Node's default of 511 overflows when a burst of
 * clients connects while the event loop is busy: their SYNs are dropped and retried after 1 s and
 * 3 s, where with room in the queue the app reads each request soon after and, under overload,
 * answers it with a quick refusal (ingest's SendAdmissionService).
 */
const LISTEN_BACKLOG = 4096;

export async function listen(app: INestApplication, port: number, host: string): Promise<string> {
  await (app.listen as unknown as (port: number, host: string, backlog: number) => Promise<unknown>).call(
    app,
    port,
    host,
    LISTEN_BACKLOG,
  );
  const server = app.getHttpServer() as {
    address(): { port: number };
    keepAliveTimeout: number;
    headersTimeout: number;
  };
  // Longer than the idle timeout of common load balancers (60 s), so they never reuse a
  // connection the app has just closed (a source of sporadic ECONNRESET).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const address = server.address();
  const url = `http://${host}:${address.port}`;
  new Logger('Bootstrap').log({ msg: 'listening', url });
  const metricsPort = metricsPorts.get(app);
  if (metricsPort !== undefined) {
    const admin = await listenMetrics(metricsPort, host);
    (app.getHttpServer() as { on(event: 'close', listener: () => void): void }).on('close', () => admin.close());
  }
  return url;
}

/** `/metrics` alone on an admin port (nothing else answers there). */
async function listenMetrics(port: number, host: string): Promise<Server> {
  const admin = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      metricsRegistry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(port, host, resolve);
  });
  new Logger('Bootstrap').log({ msg: 'metrics on the admin port', url: `http://${host}:${port}/metrics` });
  return admin;
}

/** Paths of Swagger UI, whose page needs its own scripts and styles. */
const DOCS_PATH = /^\/docs(\/|$|-json)/;

/**
 * Security headers on every answer, set on Node's own response object (so they do not depend on
 * the HTTP adapter): no sniffing, no framing, no referrer, a closed content security policy
 * (Swagger UI's own page gets what it needs), and `Cache-Control: no-store` — answers carry tokens
 * and decrypted customer data, which no browser or proxy cache may keep. A handler that means to
 * be cached sets its own Cache-Control.
 */
export function securityHeadersMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
  res.setHeader(
    'content-security-policy',
    DOCS_PATH.test(req.url ?? '')
      ? "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
      : "default-src 'none'; frame-ancestors 'none'",
  );
  res.setHeader('cache-control', 'no-store');
  next();
}

function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers['x-request-id'];
  const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  res.setHeader('x-request-id', requestId);
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
    httpRequestDuration
      .labels(req.method, route, String(res.statusCode))
      .observe(Number(process.hrtime.bigint() - started) / 1e9);
  });
  runWithContext({ requestId }, next);
}

/**
 * Runs an app's start-up; a bad configuration or any start-up failure stops the process with a
 * one-line reason (naming the variable for configuration problems) and exit code 1.
 */
export function startService(service: string, start: () => Promise<string>): void {
  start().then(
    (url) => {
      if (process.send) {
        process.send({ ready: service, url });
      }
    },
    (error: unknown) => {
      process.stderr.write(`${service}: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
