import { describe, expect, it } from 'vitest';
import { canonicalLocation, withCanonicalLocation } from './location-service.js';

const config = { locationAliases: { westus2: 'local', eastus: 'lab' } };

describe('location aliases', () => {
  it('resolve an alias to its location and leave every other name as it is', () => {
    expect(canonicalLocation(config, 'westus2')).toBe('local');
    expect(canonicalLocation(config, 'eastus')).toBe('lab');
    expect(canonicalLocation(config, 'local')).toBe('local');
    expect(canonicalLocation(config, 'mars')).toBe('mars');
    // Only the operator's own keys: nothing inherited from Object.prototype is an alias.
    expect(canonicalLocation(config, 'constructor')).toBe('constructor');
    expect(canonicalLocation({ locationAliases: {} }, 'westus2')).toBe('westus2');
  });

  it("rewrite a compute request's location and computeLocation, nothing else", () => {
    const body = {
      location: 'westus2',
      tags: { a: 'b' },
      properties: { computeType: 'AmlCompute', computeLocation: 'eastus', properties: { vmSize: 'x' } },
    };
    expect(withCanonicalLocation(config, body)).toEqual({
      ...body,
      location: 'local',
      properties: { ...body.properties, computeLocation: 'lab' },
    });
    expect(body.location).toBe('westus2');
    expect(withCanonicalLocation(config, { properties: { computeType: 'AmlCompute' } })).toEqual({
      properties: { computeType: 'AmlCompute' },
    });
    expect(withCanonicalLocation(config, { location: 42 })).toEqual({ location: 42 });
    expect(withCanonicalLocation(config, 'not an object')).toBe('not an object');
    expect(withCanonicalLocation(config, null)).toBeNull();
  });
});
