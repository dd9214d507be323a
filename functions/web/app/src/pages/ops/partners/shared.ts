import type { Schemas } from '../../../api';
import { optionsOf, personName, type AsyncResult, type CursorPages, type Option, type StaffUser } from '../../../ui';

export type Partner = Schemas['Partner'];
export type PartnerStatus = Schemas['PartnerStatus'];
export type KycStatus = Schemas['KycStatus'];
export type Tier = Schemas['Tier'];

export const PARTNER_STATUS_LABELS: Record<PartnerStatus, string> = {
  pending: 'Pending',
  under_review: 'Under review',
  approved: 'Approved',
  rejected: 'Rejected',
  suspended: 'Suspended',
};

export const KYC_STATUS_LABELS: Record<KycStatus, string> = {
  incomplete: 'Incomplete',
  submitted: 'Submitted',
  verified: 'Verified',
  rejected: 'Rejected',
};

export const TIER_LABELS: Record<Tier, string> = {
  registered: 'Registered',
  silver: 'Silver',
  gold: 'Gold',
  platinum: 'Platinum',
};

export const DOCUMENT_TYPE_LABELS: Record<Schemas['DocumentType'], string> = {
  id_document: 'ID document',
  proof_of_address: 'Proof of address',
  business_registration: 'Business registration',
  tax_certificate: 'Tax certificate',
  bank_statement: 'Bank statement',
  other: 'Other',
};

export const BUSINESS_TYPE_LABELS: Record<Partner['business_type'], string> = {
  sole_proprietor: 'Sole proprietor',
  company: 'Company',
  partnership: 'Partnership',
};

export const STATUS_OPTIONS: Option[] = optionsOf(PARTNER_STATUS_LABELS);
export const KYC_OPTIONS: Option[] = optionsOf(KYC_STATUS_LABELS);
export const TIER_OPTIONS: Option[] = optionsOf(TIER_LABELS);

/** A partner's own decisions, by its current status (the API answers 409 to any other). */
export type Decision = 'approve' | 'reject' | 'suspend' | 'reinstate';
export function allowedDecisions(status: PartnerStatus): Decision[] {
  switch (status) {
    case 'pending':
    case 'under_review':
      return ['approve', 'reject'];
    case 'approved':
      return ['suspend'];
    case 'suspended':
    case 'rejected':
      return ['reinstate'];
    default:
      return [];
  }
}

/** Basis points as a percentage for display: 1250 → "12.5%". Integer arithmetic only. */
export function bpsText(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return '—';
  const whole = Math.floor(bps / 100);
  const frac = String(bps % 100).padStart(2, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}%`;
}

/** "12.5" (percent, at most two decimals) → 1250 basis points; null when not a valid rate. */
export function percentToBps(text: string): number | null {
  const m = /^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!m) return null;
  const bps = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bps <= 10000 ? bps : null;
}

/** Basis points as the editable percentage text: 1250 → "12.5". */
export function bpsToPercentInput(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return '';
  return bpsText(bps).replace('%', '');
}

/** A user id as a name when it is a known staff member, else the id (or `system` / `crm`). */
export function actorName(id: string | null | undefined, staff: StaffUser[], extra: StaffUser[] = []): string {
  if (!id) return '—';
  if (id === 'system') return 'System';
  if (id === 'crm') return 'CRM';
  const u = staff.find((s) => s.id === id) ?? extra.find((s) => s.id === id);
  return u ? personName(u) : id;
}

/** A cursor-paged list as the state AsyncState shows (loading, error, empty, data). */
export function pagesState<T>(pages: CursorPages<T>): AsyncResult<T[]> {
  return {
    data: pages.loading && pages.items.length === 0 && !pages.error ? undefined : pages.error && pages.items.length === 0 ? undefined : pages.items,
    error: pages.error,
    loading: pages.loading,
    reload: pages.reload,
    setData: () => undefined,
  };
}
