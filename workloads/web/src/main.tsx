import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadApiPolicy } from './endpoint';
import './styles.css';

// One small request first: which APIs this deployment allows (and whether it pins one) decides what the
// login page asks for and accepts.
void loadApiPolicy().then((policy) =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App policy={policy} />
    </StrictMode>,
  ),
);
