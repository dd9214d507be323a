/**
 * The UI kit. Import everything a page needs from here:
 *
 *   import { Page, Link, useForm, Form, TextField, SubmitButton, DataTable, Pager,
 *            useCursorPages, AsyncState, useAsync, StatusBadge, formatMoney, toast } from '../../ui';
 *
 * and the API from '../../api' (api, unwrap, useMe, can, types).
 */
export { createStore, useStore, type Store } from './store';
export { navigate, useLocation, useQuery, setQuery, withQuery, safeNext, loginPath } from './location';
export { Link, Redirect, NotFound, Forbidden, pathFor, type RouteDef, type RouteProps } from './router';
export { Page, useDocumentTitle, PRODUCT_NAME } from './page';
export { Loading, ErrorState, EmptyState, AsyncState, useAsync, type AsyncResult } from './async';
export {
  useForm,
  Form,
  FormAlert,
  Field,
  TextField,
  TextAreaField,
  SelectField,
  CheckboxField,
  RadioGroupField,
  SubmitButton,
  optionsOf,
  useOptions,
  type FormApi,
  type Option,
  type Errors,
} from './form';
export { DataTable, PagedTable, Pager, useCursorPages, type Column, type CursorPage, type CursorPages } from './table';
export { StatusBadge, Alert, Tabs, Dialog, ConfirmDialog, ProgressBar, humanize, type Tone, type Tab } from './widgets';
export { toast, ToastRegion } from './toast';
export { BarChart, Sparkline, type Datum } from './charts';
export {
  formatMoney,
  money,
  minorDigits,
  formatNumber,
  formatPercent,
  formatDate,
  formatDateTime,
  formatRelative,
  formatBytes,
  locale,
} from './format';
export { putFile, uploadFile, uploadKycDocument, findKycDocument, poll, useUpload, type Progress, type UploadPhase } from './upload';
export { type NavItem } from './Layout';
export { FilterBar, type FilterDef } from './filters';
export { personName, ifMatch, loadStaff, useStaff, type StaffUser } from './people';
