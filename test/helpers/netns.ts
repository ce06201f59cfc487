import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A network namespace joined to this host by a veth pair on a private /30 of our own. */
export interface TestHost {
  name: string;
  /** The namespace's address (the "other machine"). */
  address: string;
  /** This host's address on the link (where the other machine reaches us). */
  gateway: string;
  remove(): void;
}

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });

/**
 * Makes a host with its own address: `ip netns`, a veth pair and 10.x/30 addresses. Refuses to go
 * on unless traffic to that address really goes through our own veth (never out of the machine).
 */
export function createTestHost(): TestHost {
  const id = randomBytes(3).toString('hex');
  const name = `hgr-${id}`;
  const octet = 16 + (parseInt(id, 16) % 200);
  const third = parseInt(id.slice(0, 2), 16) % 250;
  const gateway = `10.${octet}.${third}.1`;
  const address = `10.${octet}.${third}.2`;
  const [outer, inner] = [`vh${id}`, `vn${id}`];
  ip('netns', 'add', name);
  ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
  ip('link', 'set', inner, 'netns', name);
  ip('addr', 'add', `${gateway}/30`, 'dev', outer);
  ip('link', 'set', outer, 'up');
  ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', inner);
  ip('-n', name, 'link', 'set', inner, 'up');
  ip('-n', name, 'link', 'set', 'lo', 'up');
  const remove = (): void => {
    try {
      ip('link', 'del', outer);
    } catch {
      /* gone with the namespace */
    }
    try {
      ip('netns', 'del', name);
    } catch {
      /* already gone */
    }
  };
  const route = execFileSync('ip', ['route', 'get', address], { encoding: 'utf8' });
  if (!route.includes(`dev ${outer}`)) {
    remove();
    throw new Error(
      `refusing to test: traffic to ${address} would not go through ${outer} (${route.trim()})`,
    );
  }
  return { name, address, gateway, remove };
}
