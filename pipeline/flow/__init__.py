"""The one pass over documents: index, retrieve, read (``qa``) and summarise, through the components
``models.factory`` builds."""
