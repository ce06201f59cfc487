import type { HttpClient } from './http-client.js';

/** Locations the operator configured: sizes and quota usage. */
export class Locations {
  constructor(private readonly http: HttpClient) {}

  list(): Promise<{ value: { name: string }[] }> {
    return this.http.request('GET', '/api/locations');
  }

  vmSizes(location: string): Promise<{ value: Record<string, unknown>[] }> {
    return this.http.request('GET', `/api/locations/${encodeURIComponent(location)}/vmSizes`);
  }

  usages(location: string): Promise<{ value: Record<string, unknown>[] }> {
    return this.http.request('GET', `/api/locations/${encodeURIComponent(location)}/usages`);
  }
}
