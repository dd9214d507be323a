import { api, unwrap, type Schemas } from '../../../api';

export type KycDocument = Schemas['KycDocument'];
export type DocumentType = Schemas['DocumentType'];

/**
 * The document types a partner must provide before review: an ID document, proof of
 * address and a bank statement, plus the business registration unless the business is a
 * sole proprietorship (an unknown business type counts it as required).
 */
export function requiredTypes(businessType: Schemas['Partner']['business_type'] | undefined): DocumentType[] {
  const types: DocumentType[] = ['id_document', 'proof_of_address', 'bank_statement'];
  if (businessType !== 'sole_proprietor') types.push('business_registration');
  return types;
}

/** Every KYC document of the partner (the list is small: uploads are limited per day). */
export async function loadAllDocuments(): Promise<KycDocument[]> {
  const all: KycDocument[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await unwrap(api.GET('/v1/kyc/documents', { params: { query: { limit: 100, cursor } } }));
    all.push(...res.items);
    if (!res.next_cursor) break;
    cursor = res.next_cursor;
  }
  return all;
}

/** The label of a document type from the field options (falls back to the value). */
export function docLabel(labels: Map<string, string>, type: string): string {
  return labels.get(type) ?? type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/**
 * Opens a document through a short-lived link. The tab is opened before the request so
 * popup blockers allow it; without one, the link opens in this tab.
 */
export async function openDownload(documentId: string): Promise<void> {
  const win = window.open('', '_blank');
  try {
    const link = await unwrap(
      api.GET('/v1/kyc/documents/{document_id}/download', { params: { path: { document_id: documentId } } }),
    );
    if (win) {
      win.opener = null;
      win.location.href = link.url;
    } else {
      window.location.assign(link.url);
    }
  } catch (e) {
    win?.close();
    throw e;
  }
}
