"""The report's sections: each module's `build(facts, entry, outline)` returns a `Section`.

`entry` is the section's place in the outline (id, number, title); `outline` lets a section
point to another ("listed in section 10"). A builder reads the tables through `Facts` only and
numbers its headings, tables and figures with `Numbering(entry.number)`, so it can be built and
tested alone, on small frames.
"""
