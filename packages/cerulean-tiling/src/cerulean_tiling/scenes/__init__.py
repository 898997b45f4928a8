"""Reading annotated scene folders: finding them, scene ids, PNG decoding, Photopea
layer decoding into instance masks, and the report ``cerulean-tiling info`` prints."""
