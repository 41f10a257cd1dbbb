// Who is signed in and what the server's UI config says; shared by the pages.
import type { UiConfig, User } from './api';

export const KINDS = [
  'carriers',
  'vehicles',
  'drivers',
  'terminals',
  'health_records',
  'sites',
] as const;
export type Kind = (typeof KINDS)[number];

export function isKind(text: string): text is Kind {
  return (KINDS as readonly string[]).includes(text);
}

export const session: { user: User | null; ui: UiConfig | null } = { user: null, ui: null };

export function can(permission: string): boolean {
  return session.user?.permissions.includes(permission) ?? false;
}

export const canReadKind = (kind: Kind) => can(`registry.read.${kind}`);
export const canImportKind = (kind: Kind) => can(`registry.import.${kind}`);
// The contract names one export permission; a per-kind one is accepted too.
export const canExportKind = (kind: Kind) =>
  can('registry.export') || can(`registry.export.${kind}`);
export const canReadPositions = () => can('positions.read');
export const importableKinds = () => KINDS.filter(canImportKind);
// Issue 5 permission ids.
export const canApplyPass = () => can('passes.apply');
export const canReadPasses = () => can('passes.read');
export const canReviewPasses = () => can('passes.review');
export const canOperateCheckpoint = () => can('checkpoint.operate');
export const canReadInCity = () => can('incity.read');
// Issue 6 permission ids: the alarm centre and the monitored vehicles; the workflow steps;
// editing zones and thresholds (reading them needs alarms.read).
export const canReadAlarms = () => can('alarms.read');
export const canHandleAlarms = () => can('alarms.handle');
export const canConfigureMonitor = () => can('monitor.configure');
// Issue 14: importing and drawing the city's geography (地理数据).
export const canEditGeography = () => canConfigureMonitor();
export const canOpenMap = () => canReadPositions() || canReadAlarms();
// Issue 13: the accounts and their password resets; a one-time password's forced change.
export const canManageUsers = () => can('users.manage');
export const mustChangePassword = () => session.user?.must_change_password ?? false;

// Where to go after signing in, or when the hash names nothing.
export function landingRoute(): string {
  if (canOpenMap()) return '#/map';
  // Roles without the map land on their own work: the gate, their passes, the review queue.
  if (canOperateCheckpoint()) return '#/checkpoint';
  if (canReadPasses()) return '#/passes';
  if (canReviewPasses()) return '#/review';
  if (canReadInCity()) return '#/in-city';
  const kind = KINDS.find(canReadKind);
  if (kind) return `#/registry/${kind}`;
  if (importableKinds().length > 0) return '#/imports';
  return '#/map';
}
