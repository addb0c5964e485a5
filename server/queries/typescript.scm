; Comment nodes, where tags live.
(comment) @comment
