import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

// What Prometheus needs of infra/k8s to scrape every process's /metrics: each pod that serves them says
// where (the `prometheus.io/*` annotations), that port is the one the process listens on, and a
// NetworkPolicy lets the monitoring namespace in on it.

interface ContainerPort {
  name?: string;
  containerPort: number;
}
interface Container {
  name: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: ContainerPort[];
}
interface Deployment {
  kind: 'Deployment';
  metadata: { name: string };
  spec: {
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: Container[] };
    };
  };
}
interface NetworkPolicyPeer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
}
interface NetworkPolicy {
  kind: 'NetworkPolicy';
  spec: {
    podSelector: {
      matchLabels?: Record<string, string>;
      matchExpressions?: Array<{ key: string; operator: string; values: string[] }>;
    };
    ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: Array<{ port: number | string }> }>;
  };
}

const MANIFEST = path.join(import.meta.dirname, '../../infra/k8s/ledgerline.yaml');
const documents = parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map(
  (document) => document.toJS() as { kind: string },
);
const deployments = documents.filter((document): document is Deployment => document.kind === 'Deployment');
const policies = documents.filter((document): document is NetworkPolicy => document.kind === 'NetworkPolicy');
/** The gateway serves no /metrics of its own (it answers the path with a 404 problem). */
const scraped = deployments.filter((deployment) => deployment.metadata.name !== 'gateway');

/** The port the process listens on for /metrics: the API's PORT, or a worker's OPS_PORT. */
function metricsPortOf(container: Container): string | undefined {
  const env = new Map((container.env ?? []).map((variable) => [variable.name, variable.value]));
  return env.get('OPS_PORT') ?? env.get('PORT');
}

function selects(policy: NetworkPolicy, labels: Record<string, string>): boolean {
  const { matchLabels = {}, matchExpressions = [] } = policy.spec.podSelector;
  return (
    Object.entries(matchLabels).every(([key, value]) => labels[key] === value) &&
    matchExpressions.every(
      (expression) =>
        expression.operator === 'In' && expression.values.includes(labels[expression.key] ?? ''),
    )
  );
}

/** Whether some policy selecting the pod admits the monitoring namespace on `port` (by number or container port name). */
function monitoringMayReach(deployment: Deployment, port: ContainerPort): boolean {
  return policies
    .filter((policy) => selects(policy, deployment.spec.template.metadata.labels))
    .some((policy) =>
      (policy.spec.ingress ?? []).some(
        (rule) =>
          (rule.from ?? []).some(
            (peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring',
          ) &&
          (rule.ports === undefined ||
            rule.ports.some((allowed) => allowed.port === port.containerPort || allowed.port === port.name)),
      ),
    );
}

describe('the Kubernetes manifest, for Prometheus', () => {
  it('has the seven processes that serve /metrics', () => {
    expect(scraped.map((deployment) => deployment.metadata.name).sort()).toEqual([
      'accounts-api',
      'compliance-api',
      'compliance-worker',
      'ledger-worker',
      'ops-api',
      'outbox-relay',
      'transactions-api',
    ]);
  });

  it.each(scraped.map((deployment) => [deployment.metadata.name, deployment] as const))(
    '%s says where its /metrics are, on the port it listens on, and lets Prometheus in there',
    (_name, deployment) => {
      const { annotations = {} } = deployment.spec.template.metadata;
      const [container] = deployment.spec.template.spec.containers;
      expect(container).toBeDefined();
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
      expect(annotations['prometheus.io/port']).toBe(metricsPortOf(container!));
      const port = (container!.ports ?? []).find(
        (declared) => String(declared.containerPort) === annotations['prometheus.io/port'],
      );
      expect(port, 'the annotated port is a declared container port').toBeDefined();
      expect(monitoringMayReach(deployment, port!)).toBe(true);
    },
  );
});
