import { render } from 'preact';
import { App } from './App';
import { restoreSession } from './api/session';
import './styles.css';

// One silent refresh restores a session kept in the HttpOnly cookie; a 401 means signed out.
void restoreSession();

render(<App />, document.getElementById('root')!);
