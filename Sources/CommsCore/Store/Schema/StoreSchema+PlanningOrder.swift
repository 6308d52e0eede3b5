extension StoreSchema {
  /// The planner's queue in the order it is taken (`PlanningQueue`:
  /// by priority, then oldest first), so that the next messages to plan are
  /// the first entries of the index. `messages_unplanned` held only
  /// `accepted_at`: each turn read every unplanned row and sorted them, and
  /// under a stream of API requests (45,000 unplanned messages) that was
  /// 3,000 page reads per turn of 16 messages, 95 % of the daemon's
  /// `pread64` (issue 25). The expression is the query's, word for word, or
  /// neither store would use the index for the order
  /// (`PlanningOrderTests`).
  static let planningOrder = """
    DROP INDEX messages_unplanned;
    CREATE INDEX messages_planning_order ON messages(
      (CASE priority WHEN 'flash' THEN 0 WHEN 'urgent' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
      accepted_at, id) WHERE planned_at IS NULL;
    """
}
