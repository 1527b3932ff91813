//! A cluster as seen from every node trib reached: each node keeps its own view.
