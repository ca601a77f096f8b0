"""Pooling demand: a procurement centre opens a round for categories and a window; purchasers
of its city contribute the uncovered bill lines of projects in the procurement stage; the
centre groups the lines into lots of a batch tender (`procurement.tendering`). Every pooled line
keeps its project and bill line, so awards flow back to the projects."""
