import { DEFAULT_GRAPH_VERSION, graphPathWithVersion } from './graph-paths';

describe('graphPathWithVersion', () => {
  it.each([
    ['/1234567890/media', `/${DEFAULT_GRAPH_VERSION}/1234567890/media`],
    [
      '/102290129340398/message_templates?limit=2',
      `/${DEFAULT_GRAPH_VERSION}/102290129340398/message_templates?limit=2`,
    ],
    ['/1234567890123456', `/${DEFAULT_GRAPH_VERSION}/1234567890123456`],
    ['/1234567890123456?phone_number_id=1', `/${DEFAULT_GRAPH_VERSION}/1234567890123456?phone_number_id=1`],
    ['/1234567890/whatsapp_business_profile', `/${DEFAULT_GRAPH_VERSION}/1234567890/whatsapp_business_profile`],
  ])('serves the Graph path %s under the default version', (url, expected) => {
    expect(graphPathWithVersion(url)).toBe(expected);
  });

  it.each([
    '/v25.0/1234567890/media',
    '/v1/webhook',
    '/v1/retention/purge',
    '/v24/123/messages',
    '/network/v1/events',
    '/health/ready',
    '/metrics',
    '/docs',
    '/docs-json',
    '/',
    '/latest/123/messages',
    '/wamid.abc',
  ])('leaves %s alone (a version, ingest’s own routes, anything not a Graph object id)', (url) => {
    expect(graphPathWithVersion(url)).toBe(url);
  });
});
