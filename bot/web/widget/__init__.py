"""The help widget: a script a site embeds with one tag, and the small server behind it."""
