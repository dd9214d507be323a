import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { takePendingFocus } from './location';

export const PRODUCT_NAME = 'Partner Portal';

/** Sets `document.title` to `<title> · Partner Portal` while the component is mounted. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${PRODUCT_NAME}` : PRODUCT_NAME;
  }, [title]);
}

/**
 * The frame of every page: sets the document title, renders the one `<h1>` (which takes
 * focus after a client-side navigation, so screen readers announce the new page), an
 * optional lead paragraph and actions (buttons/links shown next to the heading).
 *
 *   <Page title="Leads" actions={<Link class="button" href="/app/leads/new">New lead</Link>}>…</Page>
 */
export function Page(props: {
  title: string;
  /** Visible heading when it differs from the document title. */
  heading?: ComponentChildren;
  lead?: ComponentChildren;
  actions?: ComponentChildren;
  /** A narrow single-column page (forms, public pages). */
  narrow?: boolean;
  children?: ComponentChildren;
}) {
  useDocumentTitle(props.title);
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takePendingFocus()) h1.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div class={props.narrow ? 'page page-narrow' : 'page'}>
      <div class="page-head">
        <div>
          <h1 tabIndex={-1} ref={h1}>
            {props.heading ?? props.title}
          </h1>
          {props.lead ? <p class="lead">{props.lead}</p> : null}
        </div>
        {props.actions ? <div class="page-actions">{props.actions}</div> : null}
      </div>
      {props.children}
    </div>
  );
}
