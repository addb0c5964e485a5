; tagls: the Response Awareness tags inside comments.
; Helix highlights whole syntax nodes, so the comment that holds a registered tag takes the
; tag family's colour (the theme's diagnostic scopes, which every theme defines).
; Patterns earlier in a query win, so these come before the language's own comment pattern.
; editors/helix/install.sh puts them in front of Helix's queries, the node kind `comment` replaced
; by the comment node kinds of each language's grammar (its list LANGUAGES says which).
; A tag follows whitespace or a comment marker's last character (`//#TAG:`, `/*#TAG:`,
; `--#TAG:`, `<!--#TAG:`); a comment node starts with its marker, so with `#` as the marker
; (Python, Ruby, shell, YAML, TOML) the marker itself is never the tag: `# #TAG:` is one.
; Keep the names in step with docs/TAGS.md; add a team's own tags to the lists.

; verdict: a failed verification
((comment) @error
 (#match? @error "[\\s/*!(\\[{>-]#FAILED_VERIFICATION:"))

; pattern family: a suspicious habit, for the reviewer (a hint, as its diagnostic is)
((comment) @hint
 (#match? @hint "[\\s/*!(\\[{>-]#(CARGO_CULT|PATTERN_MOMENTUM|ASSUMPTION_BLINDNESS|CONTEXT_ROT|FALSE_COMPLETION|POISON_PATH):"))

; assumption family, and the verdict that needs a runtime check
((comment) @info
 (#match? @info "[\\s/*!(\\[{>-]#(COMPLETION_DRIVE|COMPLETION_DRIVE_INTEGRATION|CONTEXT_DEGRADED|CANNOT_VERIFY_WITHOUT_RUNTIME):"))

; suggestion family, and the verdict that passed
((comment) @hint
 (#match? @hint "[\\s/*!(\\[{>-]#(SUGGEST_ERROR_HANDLING|SUGGEST_VERIFY|COMPLETION_DRIVE_SUGGESTION|VERIFIED):"))

; decision and claim families
((comment) @special
 (#match? @special "[\\s/*!(\\[{>-]#(PATH_DECISION|PATH_RATIONALE|FILE_CREATED|FILE_MODIFIED|SCREENSHOT_CLAIMED):"))
