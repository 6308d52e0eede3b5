import CMalloc

/// Gives memory freed after a big one-off job (reading 100,000 recipients,
/// planning a fan-out) back to the system. glibc keeps freed heap pages for
/// reuse, so without this a daemon's resident size stays at its peak for
/// the rest of its life.
enum FreedMemory {
  static func release() {
    _ = malloc_trim(0)
  }
}
