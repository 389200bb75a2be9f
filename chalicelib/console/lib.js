// The one place the pages get Preact, its hooks and htm from (vendored, see vendor/README.md).
export {
  html,
  render,
  useState,
  useEffect,
  useRef,
  useMemo,
  useCallback,
  useContext,
  createContext,
} from './vendor/preact-htm-standalone.module.js';
