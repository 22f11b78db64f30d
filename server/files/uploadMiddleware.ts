import multer from 'multer';
import type { Request, RequestHandler } from 'express';
import { HttpError } from '../web/errors.js';
import { tooLarge, type Accept, type FileStore } from './fileStore.js';

/** A file received from a form, checked but not stored yet: the route decides (ctx.files.save). */
export interface Upload {
  field: string;
  buffer: Buffer;
  name: string;
  mime: string;
  size: number;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Files of a multipart form, by field name, after `files.upload()` (a field may be absent). */
      uploads?: Record<string, Upload>;
    }
  }
}

export interface UploadOptions {
  /** Form fields that carry a file (one file each). */
  fields: string[];
  accept?: Accept;
  maxBytes?: number;
}

/**
 * Parses a multipart form in memory within limits, then checks each file's format by its
 * first bytes. Declared as a route's `upload`, it runs before the CSRF check, which then reads
 * the `_csrf` field of the same form. Errors are French 400/413/415 naming the field.
 */
export function uploadMiddleware(store: FileStore, options: UploadOptions): RequestHandler {
  const maxBytes = options.maxBytes ?? store.maxBytes;
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: options.fields.length, fields: 100, fieldSize: 1024 * 1024, parts: 200 },
  }).fields(options.fields.map((name) => ({ name, maxCount: 1 })));
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next(new HttpError(400, 'Ce formulaire doit être envoyé avec ses fichiers (multipart/form-data).'));
    parse(req, res, (error?: unknown) => {
      if (error) return next(toHttpError(error, maxBytes));
      const received = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
      const check = async () => {
        const uploads: Record<string, Upload> = {};
        for (const [field, files] of Object.entries(received)) {
          const file = files[0];
          if (!file || file.size === 0) continue; // an empty file input: no file chosen
          const { mime } = await store.inspect(file.buffer, file.originalname, options.accept);
          uploads[field] = { field, buffer: file.buffer, name: decodeLatin1(file.originalname), mime, size: file.size };
        }
        req.uploads = uploads;
      };
      check().then(() => next(), next);
    });
  };
}

function toHttpError(error: unknown, maxBytes: number): HttpError {
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return tooLarge(maxBytes);
    if (error.code === 'LIMIT_UNEXPECTED_FILE') return new HttpError(400, `Le champ « ${error.field ?? ''} » n'attend pas de fichier, ou un seul.`, { field: error.field });
    return new HttpError(413, 'Le formulaire envoyé est trop volumineux ou compte trop de champs.');
  }
  if (error instanceof HttpError) return error;
  return new HttpError(400, 'Le formulaire envoyé est mal formé.');
}

/** Busboy reads file names as latin1; browsers send UTF-8 (« Compte-rendu été.pdf »). */
function decodeLatin1(name: string): string {
  const bytes = Buffer.from(name, 'latin1');
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\uFFFD') ? name : utf8;
}

/**
 * The image of an « image » form field with its « alt » text, both required (an image in a post
 * or a newsletter is described for those who do not see it), checked before anything is stored.
 */
export function imageWithAlt(req: Request): { upload: Upload; alt: string } {
  const upload = req.uploads?.image;
  if (!upload) throw new HttpError(422, '« Image » : choisissez un fichier image (PNG, JPEG, GIF ou WebP).', { field: 'image' });
  const raw = (req.body as Record<string, unknown> | undefined)?.alt;
  const alt = (typeof raw === 'string' ? raw.slice(0, 200) : '').replace(/[[\]\r\n]+/g, ' ').trim();
  if (!alt) throw new HttpError(422, "« Texte de remplacement » : décrivez l'image pour les personnes qui ne la voient pas.", { field: 'alt' });
  return { upload, alt };
}
