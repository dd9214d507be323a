/** The partner directory lives with the other partner pages of operations. */
export { default } from './partners/Directory';
