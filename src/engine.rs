//! The hot path: pre-filter, render candidates, match inside the parser's threads. STATUS: being built.
