import { describe, expect, it } from 'vitest';
import { jobChangesOf } from './job-commands.js';

describe('job update --set/--remove', () => {
  it('maps display_name, description, tags.<key> and properties.<key>', () => {
    expect(
      jobChangesOf(
        ['display_name=first run', 'description=d=1', 'tags.a.b=x', 'properties.p='],
        ['tags.old'],
      ),
    ).toEqual({
      displayName: 'first run',
      description: 'd=1',
      tags: { 'a.b': 'x', old: null },
      properties: { p: '' },
    });
    expect(jobChangesOf([], ['description'])).toEqual({ description: null });
  });

  it('refuses fields a submitted job cannot change, naming them', () => {
    expect(() => jobChangesOf(['compute=azureml:gpu'], [])).toThrow(
      "--set: 'compute' cannot be changed on a submitted job; job update changes display_name, description, tags.<key> and properties.<key>",
    );
    expect(() => jobChangesOf([], ['display_name'])).toThrow("--remove: 'display_name' cannot be changed");
    expect(() => jobChangesOf(['tags'], [])).toThrow("--set: 'tags' must be field=value");
    expect(() => jobChangesOf(['display_name='], [])).toThrow('display_name must not be empty');
    expect(() => jobChangesOf([], [])).toThrow('nothing to change');
  });
});
