"""Benchmarks of Plantbot against its stand-ins: `./dev bench [--quick] [--out FILE]`."""
