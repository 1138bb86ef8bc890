from coursekit.models.segmentation import BilinearUpsampling, fcn, segnet, unet

__all__ = ["BilinearUpsampling", "fcn", "segnet", "unet"]
