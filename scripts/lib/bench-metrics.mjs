// The apps' stage histograms (GET /metrics, Prometheus text format) for the message benchmark:
// read before and after a phase, the difference gives that phase's count, mean and approximate
// quantiles per metric and label set (consumer lag, handler duration, publish to acknowledgement).
const STAGE_METRICS = {
  custody_kafka_consume_lag_seconds: 'consume lag (produced → handled)',
  custody_kafka_handler_seconds: 'handler per chunk',
  custody_kafka_publish_seconds: 'publish → acknowledged',
};

/** Parses the histograms of interest: { `${metric}|${labels}`: { metric, labels, buckets: [[le, n]], sum, count } }. */
function parse(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('custody_kafka_')) continue;
    const m = /^([a-z_]+?)(_bucket|_sum|_count)\{([^}]*)\} ([0-9.eE+-]+|NaN|\+Inf)$/.exec(line);
    if (!m || !(m[1] in STAGE_METRICS)) continue;
    const labels = Object.fromEntries([...m[3].matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    const le = labels.le;
    delete labels.le;
    delete labels.service;
    const key = `${m[1]}|${JSON.stringify(labels)}`;
    const h = (out[key] ??= { metric: m[1], labels, buckets: [], sum: 0, count: 0 });
    const v = Number(m[4]);
    if (m[2] === '_bucket') h.buckets.push([le === '+Inf' ? Infinity : Number(le), v]);
    else if (m[2] === '_sum') h.sum = v;
    else h.count = v;
  }
  return out;
}

/** Every app's stage histograms now; an app that does not answer is left out. */
export async function scrape(urls) {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([app, url]) => {
      try {
        const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
        return [app, res.ok ? parse(await res.text()) : {}];
      } catch {
        return [app, {}];
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** The q-quantile of cumulative bucket counts, interpolated within its bucket (as Prometheus does). */
function quantile(q, buckets, count) {
  if (count <= 0) return null;
  const rank = q * count;
  let prevLe = 0;
  let prevN = 0;
  for (const [le, n] of buckets) {
    if (n >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevN)) / Math.max(1e-12, n - prevN);
    }
    prevLe = le;
    prevN = n;
  }
  return prevLe;
}

/**
 * The phase's stage statistics (ms) from two scrapes, busiest first:
 * [{ app, stage, topic, group, count, mean, p50, p99 }].
 */
export function stageStats(before, after, topicName = (t) => t) {
  const rows = [];
  for (const [app, hs] of Object.entries(after)) {
    for (const [key, h] of Object.entries(hs)) {
      const b = before[app]?.[key];
      const count = h.count - (b?.count ?? 0);
      if (count <= 0) continue;
      const sum = h.sum - (b?.sum ?? 0);
      const buckets = h.buckets
        .map(([le, n]) => [le, n - (b?.buckets.find(([l]) => l === le)?.[1] ?? 0)])
        .sort((x, y) => x[0] - y[0]);
      rows.push({
        app,
        stage: STAGE_METRICS[h.metric],
        topic: h.labels.topic ? topicName(h.labels.topic) : undefined,
        group: h.labels.group,
        count,
        mean: (1000 * sum) / count,
        p50: 1000 * quantile(0.5, buckets, count),
        p99: 1000 * quantile(0.99, buckets, count),
      });
    }
  }
  return rows.sort((a, b) => b.mean * b.count - a.mean * a.count);
}
