import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadPinnedApi } from './endpoint';
import './styles.css';

// One small request first: whether this deployment pins the API decides what the login page asks for.
void loadPinnedApi().then((pinnedApi) =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App pinnedApi={pinnedApi} />
    </StrictMode>,
  ),
);
