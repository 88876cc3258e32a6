"""Sites to crawl without the internet: for the demo, the tests and the benchmarks.

- `mirror`: `serve`, a local HTTP server for a mapping of paths to `Resource`s, with faults.
- `demo/`: the bundled UNN-style sample site and generated stories for larger mirrors.
- `outlets`: made-up declared outlets on loopback addresses, and their sources file.
- `redesign`: a simulated front-end redesign (every class and id renamed, text kept).
"""
