import type { LocationConfig } from '../../config/config-schema.js';
import type { Problem } from '../errors/hangar-error.js';
import type {
  AksProperties,
  AmlComputeProperties,
  ComputeInstanceProperties,
  CustomServiceSpec,
  SlurmProperties,
} from './compute-schema.js';
import { parseCron } from '../instances/cron.js';
import { PUBLISHED_PORT_MAX, PUBLISHED_PORT_MIN } from '../instances/instance.js';
import { parseIsoDuration } from './iso-duration.js';
import { resolveTimeZone } from './time-zones.js';
import { findVmSize, sizesOffered, vmTypeOf, type VmSize } from './vm-sizes.js';

const P = 'properties.properties';
const bad = (code: Problem['code'], target: string, message: string): Problem => ({ code, target, message });

/** VM size exists and is offered in the location; returns the size when it is usable. */
export function vmSizeProblems(
  sizeName: string,
  location: LocationConfig,
  target: string,
  problems: Problem[],
): VmSize | undefined {
  const size = findVmSize(sizeName);
  if (!size) {
    problems.push(
      bad(
        'UnknownVmSize',
        target,
        `${target}: '${sizeName}' is not a VM size in the catalog (see 'hangar compute list-sizes')`,
      ),
    );
    return undefined;
  }
  if (!sizesOffered(location.vmSizes).some((s) => s.name === size.name)) {
    problems.push(
      bad('UnknownVmSize', target, `${target}: '${sizeName}' is not offered in location '${location.name}'`),
    );
    return undefined;
  }
  return size;
}

/** 0 ≤ min ≤ max, max ≥ 1, idle time an ISO 8601 duration. */
export function scaleSettingsProblems(s: AmlComputeProperties['scaleSettings'], problems: Problem[]): void {
  const t = `${P}.scaleSettings`;
  if (s.minNodeCount < 0)
    problems.push(
      bad('ValidationFailed', `${t}.minNodeCount`, `${t}.minNodeCount must be ≥ 0; got ${s.minNodeCount}`),
    );
  if (s.maxNodeCount < 1)
    problems.push(
      bad('ValidationFailed', `${t}.maxNodeCount`, `${t}.maxNodeCount must be ≥ 1; got ${s.maxNodeCount}`),
    );
  if (s.minNodeCount > s.maxNodeCount) {
    problems.push(
      bad(
        'ValidationFailed',
        `${t}.minNodeCount`,
        `${t}.minNodeCount must be ≤ maxNodeCount (${s.maxNodeCount}); got ${s.minNodeCount}`,
      ),
    );
  }
  const idle = parseIsoDuration(s.nodeIdleTimeBeforeScaleDown);
  if (idle === undefined) {
    problems.push(
      bad(
        'ValidationFailed',
        `${t}.nodeIdleTimeBeforeScaleDown`,
        `${t}.nodeIdleTimeBeforeScaleDown must be an ISO 8601 duration such as PT120S; got '${s.nodeIdleTimeBeforeScaleDown}'`,
      ),
    );
  }
}

/** Cluster rules: size, type follows size, priority, scale settings, SSH credentials. */
export function amlComputeProblems(
  p: AmlComputeProperties,
  location: LocationConfig,
  problems: Problem[],
): void {
  const size = vmSizeProblems(p.vmSize, location, `${P}.vmSize`, problems);
  if (size && p.vmType && p.vmType !== vmTypeOf(size)) {
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.vmType`,
        `${P}.vmType must follow the size: ${size.name} is ${vmTypeOf(size)}; got '${p.vmType}'`,
      ),
    );
  }
  if (size && p.vmPriority === 'LowPriority' && !size.lowPriorityCapable) {
    problems.push(
      bad('ValidationFailed', `${P}.vmPriority`, `${P}.vmPriority: ${size.name} cannot run at LowPriority`),
    );
  }
  scaleSettingsProblems(p.scaleSettings, problems);
  if (p.remoteLoginPortPublicAccess === 'Enabled') {
    const c = p.userAccountCredentials;
    if (!c || (!c.adminUserSshPublicKey && !c.adminUserPassword)) {
      problems.push(
        bad(
          'ValidationFailed',
          `${P}.userAccountCredentials`,
          `${P}.userAccountCredentials needs adminUserName and an SSH public key or password when remoteLoginPortPublicAccess is Enabled`,
        ),
      );
    }
  }
  const key = p.userAccountCredentials?.adminUserSshPublicKey;
  if (key !== undefined && !isSshPublicKey(key)) {
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.userAccountCredentials.adminUserSshPublicKey`,
        `${P}.userAccountCredentials.adminUserSshPublicKey must be a single-line ssh-rsa/ssh-ed25519/ecdsa key or a PEM public key`,
      ),
    );
  }
}

/** A single-line OpenSSH public key or a multi-line PEM/SSH2 public key. */
export function isSshPublicKey(key: string): boolean {
  const text = key.trim();
  if (
    /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]{16,}( [^\n]*)?$/.test(
      text,
    )
  )
    return true;
  if (/^---- BEGIN SSH2 PUBLIC KEY ----[\s\S]+---- END SSH2 PUBLIC KEY ----$/.test(text)) return true;
  return /^-----BEGIN (RSA |SSH2 )?PUBLIC KEY-----[\s\S]+-----END (RSA |SSH2 )?PUBLIC KEY-----$/.test(text);
}

const MIN_IDLE_SHUTDOWN = 15 * 60;
const MAX_IDLE_SHUTDOWN = 3 * 24 * 3600;
/** At most this many start/stop schedules per instance (seed rule). */
export const MAX_SCHEDULES = 4;

/** Instance rules: size, idle shutdown 15 min – 3 days, ≤ 4 schedules, SSH key shape. */
export function computeInstanceProblems(
  p: ComputeInstanceProperties,
  location: LocationConfig,
  problems: Problem[],
): void {
  vmSizeProblems(p.vmSize, location, `${P}.vmSize`, problems);
  if (p.idleTimeBeforeShutdown !== undefined) {
    const t = `${P}.idleTimeBeforeShutdown`;
    const secs = parseIsoDuration(p.idleTimeBeforeShutdown);
    if (secs === undefined)
      problems.push(
        bad(
          'ValidationFailed',
          t,
          `${t} must be an ISO 8601 duration such as PT30M; got '${p.idleTimeBeforeShutdown}'`,
        ),
      );
    else if (secs < MIN_IDLE_SHUTDOWN || secs > MAX_IDLE_SHUTDOWN) {
      problems.push(
        bad(
          'ValidationFailed',
          t,
          `${t} must be between 15 minutes and 3 days; got '${p.idleTimeBeforeShutdown}' (${Math.round(secs / 60)} minutes)`,
        ),
      );
    }
  }
  const schedules = p.schedules?.computeStartStop ?? [];
  if (schedules.length > MAX_SCHEDULES) {
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.schedules.computeStartStop`,
        `${P}.schedules.computeStartStop allows at most ${MAX_SCHEDULES} schedules; got ${schedules.length}`,
      ),
    );
  }
  schedules.forEach((s, i) => scheduleProblems(s, `${P}.schedules.computeStartStop[${i}]`, problems));
  const key = p.sshSettings.adminPublicKey;
  if (key !== undefined && key !== '' && !isSshPublicKey(key)) {
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.sshSettings.adminPublicKey`,
        `${P}.sshSettings.adminPublicKey must be a single-line ssh-rsa/ssh-ed25519 key or a multi-line PEM public key`,
      ),
    );
  }
  customServiceProblems(p.customServices ?? [], problems);
  if (key && p.sshSettings.sshPublicAccess !== 'Enabled') {
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.sshSettings.adminPublicKey`,
        `${P}.sshSettings.adminPublicKey given but sshPublicAccess is Disabled`,
      ),
    );
  }
}

type Schedule = NonNullable<ComputeInstanceProperties['schedules']>['computeStartStop'][number];

/** A schedule's rules: a trigger object, a known zone, a valid cron expression. */
export function scheduleProblems(s: Schedule, t: string, problems: Problem[]): void {
  const trigger = s.triggerType === 'Cron' ? s.cron : s.recurrence;
  if (!trigger) {
    problems.push(
      bad(
        'ValidationFailed',
        t,
        `${t}: triggerType ${s.triggerType} needs a '${s.triggerType === 'Cron' ? 'cron' : 'recurrence'}' object`,
      ),
    );
    return;
  }
  if (!resolveTimeZone(trigger.timeZone)) {
    problems.push(
      bad(
        'ValidationFailed',
        `${t}.timeZone`,
        `${t}: time zone '${trigger.timeZone}' is neither an IANA nor a Windows time-zone name`,
      ),
    );
  }
  if (s.triggerType === 'Cron' && s.cron) {
    try {
      parseCron(s.cron.expression);
    } catch (err) {
      problems.push(
        bad(
          'ValidationFailed',
          `${t}.cron.expression`,
          `${t}.cron.expression '${s.cron.expression}' is not a cron expression: ${(err as Error).message}`,
        ),
      );
    }
  }
}

/** Custom apps: unique names and published ports, ports in 8704–8993, an image or a command. */
function customServiceProblems(apps: CustomServiceSpec[], problems: Problem[]): void {
  const names = new Set<string>();
  const published = new Set<number>();
  apps.forEach((app, i) => {
    const t = `${P}.customServices[${i}]`;
    if (names.has(app.name))
      problems.push(
        bad('ValidationFailed', `${t}.name`, `${t}.name '${app.name}' is used by another custom application`),
      );
    names.add(app.name);
    if (Boolean(app.image) === Boolean(app.command))
      problems.push(
        bad(
          'ValidationFailed',
          t,
          `${t} needs exactly one of image and command; got ${app.image ? 'both' : 'neither'}`,
        ),
      );
    app.endpoints.forEach((e, j) => {
      const et = `${t}.endpoints[${j}].published`;
      if (e.published < PUBLISHED_PORT_MIN || e.published > PUBLISHED_PORT_MAX)
        problems.push(
          bad(
            'ValidationFailed',
            et,
            `${et} must be between ${PUBLISHED_PORT_MIN} and ${PUBLISHED_PORT_MAX}; got ${e.published}`,
          ),
        );
      if (published.has(e.published))
        problems.push(
          bad(
            'ValidationFailed',
            et,
            `${et} ${e.published} is published by another endpoint of this instance`,
          ),
        );
      published.add(e.published);
    });
    (app.volumes ?? []).forEach((v, j) => {
      if (!v.source.startsWith('/'))
        problems.push(
          bad(
            'ValidationFailed',
            `${t}.volumes[${j}].source`,
            `${t}.volumes[${j}].source must be an absolute path; got '${v.source}'`,
          ),
        );
    });
  });
}

const PRODUCTION_MIN_CORES = 12;

/** Inference cluster rules: size; production purposes need ≥ 12 cores; SSL cert+key or leaf label. */
export function aksProblems(p: AksProperties, location: LocationConfig, problems: Problem[]): void {
  const size = vmSizeProblems(p.agentVmSize, location, `${P}.agentVmSize`, problems);
  if (size && p.clusterPurpose !== 'DevTest' && p.agentCount * size.vCPUs < PRODUCTION_MIN_CORES) {
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.agentCount`,
        `${P}: a ${p.clusterPurpose} cluster needs agentCount × vCPUs ≥ ${PRODUCTION_MIN_CORES}; got ${p.agentCount} × ${size.vCPUs} (${size.name}) = ${p.agentCount * size.vCPUs} (use clusterPurpose DevTest for smaller clusters)`,
      ),
    );
  }
  const ssl = p.sslConfiguration;
  if (!ssl) return;
  const t = `${P}.sslConfiguration`;
  if (Boolean(ssl.cert) !== Boolean(ssl.key))
    problems.push(
      bad('ValidationFailed', t, `${t}: cert and key go together; got only ${ssl.cert ? 'cert' : 'key'}`),
    );
  if (ssl.status === 'Enabled' && !(ssl.cert && ssl.key) && !ssl.leafDomainLabel) {
    problems.push(bad('ValidationFailed', t, `${t}: status Enabled needs cert and key, or leafDomainLabel`));
  }
}

/** Slurm rules: scale settings; sbatch reached here, or over SSH on a login node (loginHost, with a key); slurmConf is a path where sbatch runs. */
export function slurmProblems(p: SlurmProperties, location: LocationConfig, problems: Problem[]): void {
  if (p.vmSize) vmSizeProblems(p.vmSize, location, `${P}.vmSize`, problems);
  scaleSettingsProblems(p.scaleSettings, problems);
  if (p.loginHost && !p.sshPrivateKey)
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.sshPrivateKey`,
        `${P}.loginHost needs sshPrivateKey (--ssh-private-key-file) to log in`,
      ),
    );
  if (p.loginHost && !/^[^@\s]+@[^@\s]+$/.test(p.loginHost)) {
    problems.push(
      bad('ValidationFailed', `${P}.loginHost`, `${P}.loginHost must be user@host; got '${p.loginHost}'`),
    );
  }
}

const hostPattern =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** An FQDN, a host name, or an IPv4/IPv6 address. */
export function isAddress(text: string): boolean {
  if (ipv4.test(text)) return true;
  if (/^[0-9a-fA-F:]+$/.test(text) && text.includes(':')) return true;
  return !/^[\d.]+$/.test(text) && hostPattern.test(text);
}

interface SshAttach {
  address: string;
  administratorAccount: { password?: string; privateKeyData?: string; privateKeyPassphrase?: string };
}

/** Attached machine rules: address; exactly one of password and private key; passphrase only with a key. */
export function sshAttachProblems(p: SshAttach, problems: Problem[]): void {
  if (!isAddress(p.address))
    problems.push(
      bad(
        'ValidationFailed',
        `${P}.address`,
        `${P}.address must be an FQDN or IP address; got '${p.address}'`,
      ),
    );
  const a = p.administratorAccount;
  const t = `${P}.administratorAccount`;
  if (Boolean(a.password) === Boolean(a.privateKeyData)) {
    problems.push(
      bad(
        'ValidationFailed',
        t,
        `${t} needs exactly one of password and privateKeyData; got ${a.password ? 'both' : 'neither'}`,
      ),
    );
  }
  if (a.privateKeyPassphrase && !a.privateKeyData) {
    problems.push(
      bad(
        'ValidationFailed',
        `${t}.privateKeyPassphrase`,
        `${t}.privateKeyPassphrase goes with privateKeyData`,
      ),
    );
  }
}
