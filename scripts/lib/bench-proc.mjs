// CPU time of the processes on the message path, from /proc (Linux), for the benchmarks:
// the apps (pids from platform-processes), the Kafka broker and every process of the local
// PostgreSQL cluster. `sample()` reads them all; `cpuBetween(a, b)` turns two samples into CPU
// seconds per process group.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TICKS = 100; // USER_HZ on Linux

/** utime, stime, cutime, cstime (in ticks), ppid and start time of a process, or undefined if gone. */
export function procStat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ") ".
    const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
    return {
      ppid: Number(f[1]),
      utime: Number(f[11]),
      stime: Number(f[12]),
      cutime: Number(f[13]),
      cstime: Number(f[14]),
      start: Number(f[19]),
    };
  } catch {
    return undefined;
  }
}

function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return pid > 0 && procStat(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function allPids() {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/**
 * Finds the broker and the PostgreSQL postmaster of the local stack ($CUSTODY_HOME, default
 * <repo>/.custody). A broker or database given from outside (KAFKA_BROKERS/DATABASE_URL pointing
 * elsewhere) is not on this machine: its CPU is then reported as not measured.
 */
export function findStackPids(root) {
  const home = process.env.CUSTODY_HOME ?? join(root, '.custody');
  let kafka = readPid(join(home, 'kafka', 'kafka.pid'));
  if (!kafka) {
    // A broker started some other way: a java process running kafka.Kafka with this home's config.
    kafka = allPids().find((p) => {
      const c = cmdline(p);
      return c.includes('java') && c.includes('kafka.Kafka') && c.includes(home);
    });
  }
  const pgData = join(home, 'pg', 'data');
  const postgres = existsSync(join(pgData, 'postmaster.pid')) ? readPid(join(pgData, 'postmaster.pid')) : undefined;
  return { kafka, postgres };
}

/**
 * One reading of every process of interest.
 * @param {{ apps: Record<string, number>, kafka?: number, postgres?: number, excludePostgres?: number[] }} pids
 */
export function sample(pids) {
  const apps = {};
  for (const [app, pid] of Object.entries(pids.apps)) {
    const s = procStat(pid);
    apps[app] = s ? s.utime + s.stime : undefined;
  }
  const kafkaStat = pids.kafka ? procStat(pids.kafka) : undefined;
  let postgres;
  if (pids.postgres) {
    const master = procStat(pids.postgres);
    const children = {};
    if (master) {
      for (const pid of allPids()) {
        const s = procStat(pid);
        if (s && s.ppid === pids.postgres && !(pids.excludePostgres ?? []).includes(pid)) {
          // pid + start time: a recycled pid is a different process.
          children[`${pid}@${s.start}`] = s.utime + s.stime;
        }
      }
    }
    postgres = master
      ? { master: master.utime + master.stime, reaped: master.cutime + master.cstime, children }
      : undefined;
  }
  return {
    at: performance.now(),
    apps,
    kafka: kafkaStat ? kafkaStat.utime + kafkaStat.stime : undefined,
    postgres,
    self: process.cpuUsage(),
  };
}

/**
 * CPU seconds used between two samples, per app, by the broker, by PostgreSQL (the postmaster,
 * every backend present at both samples (its difference), every backend that appeared in between
 * (all of it), and the backends that exited in between (the postmaster's reaped-children time,
 * less what those that were there at the first sample had used by then)),
 * and by this process (the load generator, kept apart from the path).
 */
export function cpuBetween(a, b) {
  const apps = {};
  for (const app of Object.keys(a.apps)) {
    apps[app] = a.apps[app] !== undefined && b.apps[app] !== undefined ? (b.apps[app] - a.apps[app]) / TICKS : null;
  }
  const kafka = a.kafka !== undefined && b.kafka !== undefined ? (b.kafka - a.kafka) / TICKS : null;
  let postgres = null;
  let postgresDetail = null;
  if (a.postgres && b.postgres) {
    let both = 0;
    let appeared = 0;
    let appearedCount = 0;
    for (const [key, ticks] of Object.entries(b.postgres.children)) {
      if (key in a.postgres.children) {
        both += ticks - a.postgres.children[key];
      } else {
        appeared += ticks;
        appearedCount += 1;
      }
    }
    const gone = Object.keys(a.postgres.children).filter((k) => !(k in b.postgres.children));
    const exited = gone.length;
    const master = b.postgres.master - a.postgres.master;
    // The postmaster's reaped-children time holds the whole life of a backend that exited; the
    // part before the first reading is not in the window.
    const before = gone.reduce((sum, k) => sum + a.postgres.children[k], 0);
    const reaped = Math.max(0, b.postgres.reaped - a.postgres.reaped - before);
    postgres = (both + appeared + master + reaped) / TICKS;
    postgresDetail = {
      processesAtStart: Object.keys(a.postgres.children).length + 1,
      processesAtEnd: Object.keys(b.postgres.children).length + 1,
      appeared: appearedCount,
      exited,
      seconds: {
        running: both / TICKS,
        appeared: appeared / TICKS,
        exited: reaped / TICKS,
        postmaster: master / TICKS,
      },
    };
  }
  const self = (b.self.user - a.self.user + (b.self.system - a.self.system)) / 1e6;
  const path = [...Object.values(apps), kafka, postgres].reduce((s, v) => s + (v ?? 0), 0);
  return { seconds: (b.at - a.at) / 1000, apps, kafka, postgres, postgresDetail, path, loadGenerator: self };
}
