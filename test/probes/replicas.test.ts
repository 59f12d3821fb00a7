import { describe, expect, it } from 'vitest';
import type { ProcessSpec, TargetConfig } from '../../src/config/types.js';
import { renderReplicaUrls } from '../../src/probes/replicas.js';
import type { GroupStatus, ReplicaStatus, SupervisorPort } from '../../src/supervisor/types.js';

function supervisorWith(groups: Record<string, GroupStatus>): SupervisorPort {
  return { status: (t: string) => groups[t] } as unknown as SupervisorPort;
}

function replica(index: number, port: number | null, state: ReplicaStatus['state']): ReplicaStatus {
  return { index, port, pid: null, state, startedAt: null, restarts: 0, lastExit: null };
}

const process = { basePort: 7071, replicas: 2 } as unknown as ProcessSpec;
const target: TargetConfig = { name: 'demo', labels: {}, process };

describe('renderReplicaUrls', () => {
  it('leaves a URL without {{port}} alone, supervised or not', () => {
    expect(renderReplicaUrls('http://h/x', { target, supervisor: supervisorWith({}) })).toEqual([{ url: 'http://h/x', replica: null, port: null }]);
  });

  it('gives one URL per running replica, by its port', () => {
    const supervisor = supervisorWith({
      demo: { target: 'demo', desired: 3, replicas: [replica(0, 7071, 'running'), replica(1, 7072, 'starting'), replica(2, 7073, 'running')] },
    });
    expect(renderReplicaUrls('http://127.0.0.1:{{ port }}/health', { target, supervisor })).toEqual([
      { url: 'http://127.0.0.1:7071/health', replica: 0, port: 7071 },
      { url: 'http://127.0.0.1:7073/health', replica: 2, port: 7073 },
    ]);
  });

  it('falls back to every desired replica when none runs, so a down service reads as down', () => {
    const supervisor = supervisorWith({ demo: { target: 'demo', desired: 2, replicas: [replica(0, 7071, 'crashed')] } });
    expect(renderReplicaUrls('http://127.0.0.1:{{port}}/', { target, supervisor }).map((u) => u.url)).toEqual([
      'http://127.0.0.1:7071/',
      'http://127.0.0.1:7072/',
    ]);
  });

  it('gives nothing to check when the group is scaled to zero', () => {
    const supervisor = supervisorWith({ demo: { target: 'demo', desired: 0, replicas: [] } });
    expect(renderReplicaUrls('http://127.0.0.1:{{port}}/', { target, supervisor })).toEqual([]);
  });

  it('refuses {{port}} for a target that is not supervised', () => {
    expect(() => renderReplicaUrls('http://127.0.0.1:{{port}}/', { target, supervisor: supervisorWith({}) })).toThrow(/not supervised/);
  });
});
