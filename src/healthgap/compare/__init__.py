"""How every value is judged: benchmarks, quintiles, recent trends, targets and peers."""
