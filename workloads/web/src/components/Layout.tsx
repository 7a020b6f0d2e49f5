// Page frame: header, main navigation and the main landmark. Route changes move focus to <main> so
// keyboard and screen-reader users land on the new page rather than staying on the clicked link.
import { useEffect, useRef, type ReactNode } from 'react';
import type { Role } from '../api';
import { canUpload } from '../session';

const LINKS: { path: string; label: string; upload?: boolean }[] = [
  { path: '/', label: 'Overview' },
  { path: '/tickets', label: 'Tickets' },
  { path: '/search', label: 'Search' },
  { path: '/ask', label: 'Ask' },
  { path: '/upload', label: 'Upload', upload: true },
  { path: '/jobs', label: 'Jobs' },
];

function isCurrent(link: string, path: string): boolean {
  return link === '/' ? path === '/' : path === link || path.startsWith(`${link}/`);
}

interface Props {
  path: string;
  role: Role;
  onLogout: () => void;
  children: ReactNode;
}

export function Layout({ path, role, onLogout, children }: Props) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);
  return (
    <>
      <button type="button" className="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header className="top">
        <p className="brand">Support sentiment</p>
        <nav aria-label="Main">
          <ul>
            {LINKS.filter((l) => !l.upload || canUpload(role)).map((l) => (
              <li key={l.path}>
                <a href={`#${l.path}`} aria-current={isCurrent(l.path, path) ? 'page' : undefined}>
                  {l.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="badge">{role}</span>
          <button type="button" onClick={onLogout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
