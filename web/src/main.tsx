import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { logIn } from './views/login';
import './styles.css';

// `/#token=…` logs in once and is removed from the address bar (and history) at once.
const m = window.location.hash.match(/^#(?:access_)?token=([^&]+)/);
if (m?.[1]) {
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  void logIn(decodeURIComponent(m[1])).catch(() => undefined);
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);
