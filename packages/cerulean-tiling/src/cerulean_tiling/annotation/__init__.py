"""What the annotation page (``annotation-ui/``) needs from the tiler: its scene manifest."""
