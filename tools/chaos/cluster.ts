import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '@ledgerline/processes';

const DATABASE_NAME = 'ledgerline';
const SUPERUSER = 'ledgerline';
const PG_CTL_TIMEOUT_S = 60;

interface OsUser {
  uid: number;
  gid: number;
}

/**
 * A Postgres cluster of the chaos run's own, in its own directory on a spare port, driven by the
 * server's own `initdb` and `pg_ctl` so that the injector can stop it with `-m immediate` (a crash:
 * no checkpoint, recovery from WAL at the next start) and start it again on the same data directory.
 */
export class PostgresCluster {
  port = 0;
  private readonly dataDirectory: string;
  private readonly socketDirectory: string;
  private started = false;
  /** Set by destroy(): a fault's restart racing the clean-up must not leave a server behind. */
  private destroyed = false;

  private constructor(
    private readonly directory: string,
    private readonly binDirectory: string,
    private readonly owner: OsUser | undefined,
    readonly logFile: string,
  ) {
    this.dataDirectory = path.join(directory, 'data');
    this.socketDirectory = path.join(directory, 'socket');
  }

  /** Initialises a cluster in `directory` (created), with its server log at `logFile`. */
  static async create(directory: string, logFile: string): Promise<PostgresCluster> {
    const cluster = new PostgresCluster(directory, findBinDirectory(), serverOsUser(), logFile);
    await cluster.initialise();
    return cluster;
  }

  get url(): string {
    return `postgresql://${SUPERUSER}@127.0.0.1:${this.port}/${DATABASE_NAME}`;
  }

  private async initialise(): Promise<void> {
    await mkdir(this.socketDirectory, { recursive: true });
    await writeFile(this.logFile, '', { flag: 'a' });
    if (this.owner) {
      // initdb refuses to run as root; the server's files belong to the `postgres` OS user instead.
      for (const owned of [this.directory, this.socketDirectory, this.logFile]) {
        await chown(owned, this.owner.uid, this.owner.gid);
      }
    }
    await this.run('initdb', [
      '-D',
      this.dataDirectory,
      '-U',
      SUPERUSER,
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    this.port = await freePort();
    const settings = [
      `port = ${this.port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${this.socketDirectory}'`,
      // The faults are process crashes, not machine crashes: committed WAL is already in the kernel's
      // page cache when a backend dies, so crash recovery replays it without fsync. Skipping fsync keeps
      // the run cheap on a shared machine without weakening what it tests. synchronous_commit stays on:
      // with it off, a commit could be acknowledged before its WAL left shared memory.
      'fsync = off',
      'synchronous_commit = on',
      'shared_buffers = 64MB',
      'max_connections = 200',
      `log_line_prefix = '%m [%p] '`,
    ];
    const file = path.join(this.dataDirectory, 'postgresql.conf');
    await writeFile(file, `${await readFile(file, 'utf8')}\n# ledgerline chaos\n${settings.join('\n')}\n`);
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error('postgres: not started, the run is cleaning up');
    await this.run('pg_ctl', [
      'start',
      '-D',
      this.dataDirectory,
      '-l',
      this.logFile,
      '-w',
      '-t',
      String(PG_CTL_TIMEOUT_S),
      '-s',
    ]);
    this.started = true;
    if (this.destroyed) {
      await this.destroy();
      throw new Error('postgres: stopped again, the run is cleaning up');
    }
    await this.ensureDatabase();
  }

  /** Stops the server the way a crash would: every backend exits at once, nothing is flushed. */
  async stopImmediately(): Promise<void> {
    if (!this.started) return;
    await this.run('pg_ctl', [
      'stop',
      '-D',
      this.dataDirectory,
      '-m',
      'immediate',
      '-w',
      '-t',
      String(PG_CTL_TIMEOUT_S),
      '-s',
    ]);
    this.started = false;
  }

  /** Stops the server if it runs, even when pg_ctl cannot (then the postmaster is killed by its pid). */
  async destroy(): Promise<void> {
    this.destroyed = true;
    try {
      await this.run('pg_ctl', ['stop', '-D', this.dataDirectory, '-m', 'immediate', '-w', '-t', '20', '-s']);
    } catch {
      killPostmaster(this.dataDirectory);
    }
    this.started = false;
  }

  private async ensureDatabase(): Promise<void> {
    const client = new pg.Client({
      connectionString: `postgresql://${SUPERUSER}@127.0.0.1:${this.port}/postgres`,
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        DATABASE_NAME,
      ]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
    } finally {
      await client.end();
    }
  }

  private run(program: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        path.join(this.binDirectory, program),
        args,
        {
          cwd: this.directory,
          timeout: (PG_CTL_TIMEOUT_S + 10) * 1_000,
          ...(this.owner ? { uid: this.owner.uid, gid: this.owner.gid } : {}),
        },
        (error, _stdout, stderr) => {
          if (error) reject(new Error(`${program} ${args[0]} failed: ${stderr.trim() || error.message}`));
          else resolve();
        },
      );
    });
  }
}

/** The newest server installed the Debian way (/usr/lib/postgresql/<major>/bin). */
function findBinDirectory(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  const newest = majors
    .sort((left, right) => Number(right) - Number(left))
    .map((major) => path.join(root, major, 'bin'))
    .find((bin) => existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl')));
  if (!newest) throw new Error(`no Postgres server found under ${root} (apt-get install postgresql)`);
  return newest;
}

/** Postgres will not run as root: as root, the server runs as the `postgres` OS user. */
function serverOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) throw new Error('running as root needs an OS user named postgres to own the chaos cluster');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function killPostmaster(dataDirectory: string): void {
  try {
    const pid = Number(readFileSync(path.join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // No pid file or no such process: nothing is running.
  }
}
