import type { ReactNode } from 'react';
import { getJson } from '../lib/api.js';
import { usePoll } from '../lib/use-poll.js';
import { ErrorBanner } from '../components/ui.js';

interface Usage {
  name: { value: string; localizedValue: string };
  unit: string;
  currentValue: number;
  limit: number;
  type: string;
}

/** Rows count cores, except the location's GPU row (GPUs its host has, held by nodes). */
const unitOf = (u: Usage): string => (u.type === 'Hangar/gpus' ? 'GPUs' : 'cores');

/** Cores in use against the limit of each VM family (and the low-priority pool), per location. */
export function QuotaPage(): ReactNode {
  const data = usePoll(
    async () => {
      const locations = (await getJson<{ value: { name: string }[] }>('/api/locations')).value;
      return Promise.all(
        locations.map(async (l) => ({
          location: l.name,
          usages: (await getJson<{ value: Usage[] }>(`/api/locations/${encodeURIComponent(l.name)}/usages`))
            .value,
        })),
      );
    },
    5000,
    [],
  );
  return (
    <section aria-labelledby="quota-title">
      <h1 id="quota-title">Quota</h1>
      <ErrorBanner error={data.error} />
      {(data.data ?? []).map(({ location, usages }) => (
        <div key={location}>
          <h2>Location {location}</h2>
          <div className="table-wrap">
            <table aria-label={`Quota in ${location}`}>
              <thead>
                <tr>
                  <th scope="col">VM family</th>
                  <th scope="col">Usage</th>
                  <th scope="col">In use</th>
                  <th scope="col">Limit</th>
                </tr>
              </thead>
              <tbody>
                {usages.map((u) => {
                  const pct = u.limit ? Math.min(100, Math.round((u.currentValue / u.limit) * 100)) : 0;
                  return (
                    <tr key={u.name.value} data-family={u.name.value}>
                      <th scope="row">{u.name.localizedValue}</th>
                      <td>
                        <meter
                          min={0}
                          max={u.limit || 1}
                          value={u.currentValue}
                          high={(u.limit || 1) * 0.8}
                          aria-label={`${u.name.value} usage`}
                        >
                          {pct}%
                        </meter>{' '}
                        {pct}%
                      </td>
                      <td>
                        {u.currentValue} {unitOf(u)}
                      </td>
                      <td>
                        {u.limit} {unitOf(u)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      ))}
    </section>
  );
}
